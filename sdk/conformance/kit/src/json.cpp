#include "json.hpp"

#include <charconv>
#include <cstdint>
#include <system_error>

namespace tradepush::conformance::detail {

json_value const*
json_value::find(std::string_view key) const
{
    if(type != kind::object)
        return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &it->second;
}

std::vector<std::string>
json_value::strings() const
{
    std::vector<std::string> out;
    if(type != kind::array)
        return out;
    for(auto const& v : array)
        if(v.type == kind::string)
            out.push_back(v.string);
    return out;
}

namespace {

// Recursive descent over the text; every failure records where it happened, so a plugin author sees
// which byte of their payload is wrong.
class parser {
public:
    explicit parser(std::string_view text) : text_(text) {}

    std::optional<json_value>
    run(std::string* error)
    {
        json_value v;
        bool ok = value(v, 0);
        if(ok) {
            skip_ws();
            if(pos_ != text_.size())
                ok = fail("trailing characters");
        }
        if(!ok) {
            if(error)
                *error = error_ + " at offset " + std::to_string(pos_);
            return std::nullopt;
        }
        return v;
    }

private:
    bool
    fail(char const* what)
    {
        if(error_.empty())
            error_ = what;
        return false;
    }

    void
    skip_ws()
    {
        while(pos_ < text_.size() &&
            (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    bool
    literal(std::string_view word)
    {
        if(text_.substr(pos_, word.size()) != word)
            return fail("invalid literal");
        pos_ += word.size();
        return true;
    }

    bool
    value(json_value& out, int depth)
    {
        // Deep nesting is how a hostile payload overflows a recursive parser's stack.
        if(depth > 256)
            return fail("nesting too deep");
        skip_ws();
        if(pos_ >= text_.size())
            return fail("unexpected end");
        switch(text_[pos_]) {
        case '{': return object(out, depth);
        case '[': return array(out, depth);
        case '"': out.type = json_value::kind::string; return string(out.string);
        case 't': out.type = json_value::kind::boolean; out.boolean = true; return literal("true");
        case 'f': out.type = json_value::kind::boolean; out.boolean = false; return literal("false");
        case 'n': out.type = json_value::kind::null; return literal("null");
        default: out.type = json_value::kind::number; return number(out.number);
        }
    }

    bool
    object(json_value& out, int depth)
    {
        out.type = json_value::kind::object;
        ++pos_;
        skip_ws();
        if(pos_ < text_.size() && text_[pos_] == '}') {
            ++pos_;
            return true;
        }
        for(;;) {
            skip_ws();
            if(pos_ >= text_.size() || text_[pos_] != '"')
                return fail("expected a key");
            std::string key;
            if(!string(key))
                return false;
            skip_ws();
            if(pos_ >= text_.size() || text_[pos_] != ':')
                return fail("expected ':'");
            ++pos_;
            json_value v;
            if(!value(v, depth + 1))
                return false;
            out.object[std::move(key)] = std::move(v);
            skip_ws();
            if(pos_ < text_.size() && text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if(pos_ < text_.size() && text_[pos_] == '}') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or '}'");
        }
    }

    bool
    array(json_value& out, int depth)
    {
        out.type = json_value::kind::array;
        ++pos_;
        skip_ws();
        if(pos_ < text_.size() && text_[pos_] == ']') {
            ++pos_;
            return true;
        }
        for(;;) {
            json_value v;
            if(!value(v, depth + 1))
                return false;
            out.array.push_back(std::move(v));
            skip_ws();
            if(pos_ < text_.size() && text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if(pos_ < text_.size() && text_[pos_] == ']') {
                ++pos_;
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }

    static int
    hex(char c)
    {
        if(c >= '0' && c <= '9')
            return c - '0';
        if(c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if(c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }

    static void
    append_utf8(std::string& out, std::uint32_t cp)
    {
        if(cp < 0x80) {
            out += static_cast<char>(cp);
        } else if(cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else if(cp < 0x10000) {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            out += static_cast<char>(0xf0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }

    bool
    string(std::string& out)
    {
        ++pos_; // the opening quote
        while(pos_ < text_.size()) {
            auto const c = static_cast<unsigned char>(text_[pos_++]);
            if(c == '"')
                return true;
            if(c < 0x20)
                return fail("control character in string");
            if(c != '\\') {
                out += static_cast<char>(c);
                continue;
            }
            if(pos_ >= text_.size())
                break;
            char const e = text_[pos_++];
            switch(e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                if(pos_ + 4 > text_.size())
                    return fail("short \\u escape");
                std::uint32_t cp = 0;
                for(int i = 0; i < 4; ++i) {
                    int const h = hex(text_[pos_++]);
                    if(h < 0)
                        return fail("bad \\u escape");
                    cp = cp * 16 + static_cast<std::uint32_t>(h);
                }
                append_utf8(out, cp);
                break;
            }
            default: return fail("bad escape");
            }
        }
        return fail("unterminated string");
    }

    bool
    number(double& out)
    {
        // Validate the RFC 8259 grammar first (from_chars accepts forms JSON does not, e.g. "inf").
        std::size_t const start = pos_;
        if(pos_ < text_.size() && text_[pos_] == '-')
            ++pos_;
        auto const digits = [&] {
            std::size_t const s = pos_;
            while(pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
                ++pos_;
            return pos_ - s;
        };
        if(pos_ < text_.size() && text_[pos_] == '0')
            ++pos_;
        else if(digits() == 0)
            return fail("invalid value");
        if(pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            if(digits() == 0)
                return fail("digits expected after '.'");
        }
        if(pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if(pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
                ++pos_;
            if(digits() == 0)
                return fail("digits expected in exponent");
        }
        // from_chars, not strtod: the locale must not change what a number means.
        auto const res = std::from_chars(text_.data() + start, text_.data() + pos_, out);
        if(res.ec == std::errc::result_out_of_range)
            return fail("number out of range");
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::string error_;
};

} // namespace

std::optional<json_value>
parse_json(std::string_view text, std::string* error)
{
    return parser{text}.run(error);
}

} // namespace tradepush::conformance::detail
