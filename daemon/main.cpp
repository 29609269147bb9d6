// tradepushd: argv, config, logging, then the daemon until a signal.
#include "app/daemon.hpp"
#include "config/config.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>
#include <string_view>

namespace {

constexpr std::string_view usage = R"(usage: tradepushd [--config PATH] [--check-config] [--version] [--help]

  --config PATH    configuration file (default /etc/tradepushd/tradepushd.toml)
  --check-config   validate the configuration and exit (0 = valid, 1 = invalid)
  --version        print the version and exit
)";

constexpr int exit_config = 1;
constexpr int exit_usage = 2;
constexpr int exit_start = 3;

} // namespace

int
main(int argc, char** argv)
{
    std::string config_path = "/etc/tradepushd/tradepushd.toml";
    bool check_only = false;
    for(int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if(arg == "--config" && i + 1 < argc) {
            config_path = argv[++i];
        } else if(arg.starts_with("--config=")) {
            config_path = std::string(arg.substr(9));
        } else if(arg == "--check-config") {
            check_only = true;
        } else if(arg == "--version") {
            std::cout << "tradepushd " << TRADEPUSH_VERSION << "\n";
            return 0;
        } else if(arg == "--help" || arg == "-h") {
            std::cout << usage;
            return 0;
        } else {
            std::cerr << "tradepushd: unknown argument '" << arg << "'\n" << usage;
            return exit_usage;
        }
    }

    auto cfg = tradepush::config::load_file(config_path);
    if(!cfg) {
        std::cerr << "tradepushd: " << cfg.error().message << "\n";
        return exit_config;
    }
    if(check_only) {
        std::cout << config_path << ": ok\n";
        return 0;
    }

    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    spdlog::set_level(spdlog::level::from_str(cfg->log_level));

    tradepush::app::daemon d(std::move(*cfg));
    if(auto r = d.start(); !r) {
        spdlog::critical("cannot start: {}", r.error());
        return exit_start;
    }
    d.run();
    return 0;
}
