// Test that header file is self-contained.
#include "fake_host.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tradepush::bybit::test {

std::string
read_fixture(std::string_view name)
{
    std::string path = std::string(TRADEPUSH_TEST_DATA_DIR) + "/bybit/" + std::string(name);
    std::ifstream in(path, std::ios::binary);
    if(!in)
        throw std::runtime_error("missing fixture " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace tradepush::bybit::test
