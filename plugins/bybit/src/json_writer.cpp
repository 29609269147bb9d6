#include "json_writer.hpp"

#include "decimal.hpp"

#include <string>

namespace tradepush::bybit {

namespace {

// A namespace-scope constant, not a function-local static (plugin images must stay unloadable).
constexpr char hex_digits[] = "0123456789abcdef";

} // namespace

void
append_json_string(std::string& out, std::string_view s)
{
    out += '"';
    for(unsigned char c : s) {
        switch(c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if(c < 0x20) {
                out += "\\u00";
                out += hex_digits[c >> 4];
                out += hex_digits[c & 0xf];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    out += '"';
}

void
json_writer::separate()
{
    if(need_comma_)
        out_ += ',';
    need_comma_ = true;
}

void
json_writer::key(std::string_view k)
{
    separate();
    if(!k.empty()) {
        append_json_string(out_, k);
        out_ += ':';
    }
}

json_writer&
json_writer::begin_object(std::string_view k)
{
    key(k);
    out_ += '{';
    need_comma_ = false;
    return *this;
}

json_writer&
json_writer::end_object()
{
    out_ += '}';
    need_comma_ = true;
    return *this;
}

json_writer&
json_writer::begin_array(std::string_view k)
{
    key(k);
    out_ += '[';
    need_comma_ = false;
    return *this;
}

json_writer&
json_writer::end_array()
{
    out_ += ']';
    need_comma_ = true;
    return *this;
}

json_writer&
json_writer::string(std::string_view k, std::string_view value)
{
    key(k);
    append_json_string(out_, value);
    return *this;
}

json_writer&
json_writer::string_value(std::string_view value)
{
    separate();
    append_json_string(out_, value);
    return *this;
}

json_writer&
json_writer::decimal(std::string_view k, std::string_view value)
{
    key(k);
    if(is_plain_decimal(value))
        out_ += value;
    else
        out_ += "null";
    return *this;
}

json_writer&
json_writer::number(std::string_view k, double value)
{
    key(k);
    out_ += format_number(value);
    return *this;
}

json_writer&
json_writer::integer(std::string_view k, long long value)
{
    key(k);
    out_ += std::to_string(value);
    return *this;
}

json_writer&
json_writer::boolean(std::string_view k, bool value)
{
    key(k);
    out_ += value ? "true" : "false";
    return *this;
}

json_writer&
json_writer::null(std::string_view k)
{
    key(k);
    out_ += "null";
    return *this;
}

} // namespace tradepush::bybit
