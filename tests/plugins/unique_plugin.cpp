// A plugin that would pin itself in memory: built WITHOUT -fno-gnu-unique, it uses a
// function-local static of an inline function whose header gives it default visibility (as many
// third-party headers do), and its version script exports by wildcard. GCC then binds the static
// STB_GNU_UNIQUE and glibc marks the image NODELETE. elf_check must find it.
#include <tradepush/plugin_abi.h>

#pragma GCC visibility push(default)
inline int&
tp_counter()
{
    static int c;
    return c;
}
#pragma GCC visibility pop

extern "C" TRADEPUSH_EXPORT const tradepush_plugin_api*
tradepush_plugin_entry_v1(uint32_t, uint32_t)
{
    ++tp_counter();
    return nullptr;
}
