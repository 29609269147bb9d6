#include "app/prometheus.hpp"

#include <cmath>
#include <cstdio>

namespace tradepush::app {

namespace {

// HELP text escapes backslash and newline; label values also escape the double quote.
void
append_escaped(std::string& out, std::string_view s, bool quote)
{
    for(char c : s) {
        if(c == '\\')
            out += "\\\\";
        else if(c == '\n')
            out += "\\n";
        else if(quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
}

void
append_value(std::string& out, double v)
{
    if(std::isnan(v)) {
        out += "NaN";
        return;
    }
    if(std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[32];
    // Integers (counts) print exactly; fractions keep enough digits for latencies in seconds.
    int const n = v == std::floor(v) && std::fabs(v) < 1e15 ? std::snprintf(buf, sizeof buf, "%.0f", v)
                                                              : std::snprintf(buf, sizeof buf, "%.9g", v);
    out.append(buf, static_cast<std::size_t>(n));
}

} // namespace

void
prometheus_writer::family(std::string_view name, std::string_view type, std::string_view help)
{
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_escaped(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void
prometheus_writer::sample(std::string_view name, double value, std::initializer_list<prom_label> labels)
{
    out_ += name;
    if(labels.size() != 0) {
        out_ += '{';
        bool first = true;
        for(auto const& [k, v] : labels) {
            if(!first)
                out_ += ',';
            first = false;
            out_ += k;
            out_ += "=\"";
            append_escaped(out_, v, true);
            out_ += '"';
        }
        out_ += '}';
    }
    out_ += ' ';
    append_value(out_, value);
    out_ += '\n';
}

} // namespace tradepush::app
