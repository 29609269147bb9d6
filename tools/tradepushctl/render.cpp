#include "render.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <vector>

namespace tradepushctl {

namespace json = boost::json;

namespace {

// Display width: UTF-8 code points, so names with accents still line up.
std::size_t
width(std::string const& s)
{
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void
pad(std::string& out, std::string const& s, std::size_t w)
{
    out += s;
    out.append(w > width(s) ? w - width(s) : 0, ' ');
}

// One cell: strings bare, null as "-", containers as compact JSON.
std::string
scalar(json::value const& v)
{
    switch(v.kind()) {
    case json::kind::string:
        return std::string(v.get_string());
    case json::kind::null:
        return "-";
    case json::kind::bool_:
        return v.get_bool() ? "true" : "false";
    default:
        return json::serialize(v);
    }
}

bool
is_table(json::value const& v)
{
    if(!v.is_array() || v.get_array().empty())
        return false;
    auto const& a = v.get_array();
    return std::all_of(a.begin(), a.end(), [](json::value const& e) { return e.is_object(); });
}

bool
is_scalar_list(json::array const& a)
{
    return std::none_of(a.begin(), a.end(), [](json::value const& e) { return e.is_object() || e.is_array(); });
}

void render_value(std::string& out, json::value const& v, std::size_t indent, bool bold);

void
render_table(std::string& out, json::array const& rows, std::size_t indent, bool bold)
{
    // Columns in order of first appearance across rows.
    std::vector<std::string> cols;
    for(auto const& r : rows)
        for(auto const& [k, _] : r.get_object())
            if(std::find(cols.begin(), cols.end(), k) == cols.end())
                cols.emplace_back(k);

    std::vector<std::vector<std::string>> cells;
    std::vector<std::size_t> w(cols.size());
    std::vector<std::string> header;
    for(std::size_t c = 0; c < cols.size(); ++c) {
        std::string h = cols[c];
        std::transform(h.begin(), h.end(), h.begin(), [](char ch) {
            return ch >= 'a' && ch <= 'z' ? static_cast<char>(ch - 'a' + 'A') : ch;
        });
        w[c] = width(h);
        header.push_back(std::move(h));
    }
    for(auto const& r : rows) {
        auto const& o = r.get_object();
        std::vector<std::string> line;
        for(std::size_t c = 0; c < cols.size(); ++c) {
            auto const* v = o.if_contains(cols[c]);
            line.push_back(v ? scalar(*v) : "");
            w[c] = std::max(w[c], width(line.back()));
        }
        cells.push_back(std::move(line));
    }

    auto emit = [&](std::vector<std::string> const& line, bool is_header) {
        out.append(indent, ' ');
        std::string text;
        for(std::size_t c = 0; c < line.size(); ++c) {
            // No padding after the last column: no trailing blanks for diff/grep.
            if(c + 1 < line.size()) {
                pad(text, line[c], w[c]);
                text += "  ";
            } else {
                text += line[c];
            }
        }
        if(is_header && bold)
            out += "\x1b[1m" + text + "\x1b[0m";
        else
            out += text;
        out += '\n';
    };
    emit(header, true);
    for(auto const& line : cells)
        emit(line, false);
}

void
render_object(std::string& out, json::object const& o, std::size_t indent, bool bold)
{
    if(o.empty()) {
        out.append(indent, ' ');
        out += "(empty)\n";
        return;
    }
    std::size_t key_w = 0;
    for(auto const& [k, _] : o)
        key_w = std::max(key_w, width(std::string(k)) + 1);
    for(auto const& [k, v] : o) {
        out.append(indent, ' ');
        bool const nested = v.is_object() ? !v.get_object().empty()
                                          : v.is_array() && !is_scalar_list(v.get_array());
        if(nested) {
            out += std::string(k) + ":\n";
            render_value(out, v, indent + 2, bold);
            continue;
        }
        pad(out, std::string(k) + ":", key_w);
        out += ' ';
        if(v.is_array()) {
            // A list of scalars reads best on one line.
            std::string joined;
            for(auto const& e : v.get_array())
                joined += (joined.empty() ? "" : ", ") + scalar(e);
            out += joined.empty() ? "(none)" : joined;
        } else if(v.is_object()) {
            out += "(empty)";
        } else {
            out += scalar(v);
        }
        out += '\n';
    }
}

void
render_value(std::string& out, json::value const& v, std::size_t indent, bool bold)
{
    if(is_table(v)) {
        render_table(out, v.get_array(), indent, bold);
    } else if(v.is_object()) {
        render_object(out, v.get_object(), indent, bold);
    } else if(v.is_array()) {
        if(v.get_array().empty()) {
            out.append(indent, ' ');
            out += "(none)\n";
        }
        for(auto const& e : v.get_array()) {
            if(e.is_object() || e.is_array()) {
                render_value(out, e, indent, bold);
            } else {
                out.append(indent, ' ');
                out += scalar(e) + '\n';
            }
        }
    } else {
        out.append(indent, ' ');
        out += (v.is_null() ? std::string("ok") : scalar(v)) + '\n';
    }
}

} // namespace

std::string
render(json::value const& result, bool bold_headers)
{
    std::string out;
    render_value(out, result, 0, bold_headers);
    return out;
}

} // namespace tradepushctl
