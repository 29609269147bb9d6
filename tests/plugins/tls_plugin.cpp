// A valid plugin that pins itself: a thread_local with a destructor, touched by the entry. It
// imports __cxa_thread_atexit, and glibc keeps the image mapped until the thread that touched the
// variable exits, so dlclose returns but nothing is unmapped. elf_check must flag the import and
// unload() must report unmapped = false.
#include <string>

namespace {
thread_local std::string tp_scratch;

void
tp_touch_tls()
{
    tp_scratch.assign(64, 'x'); // heap-allocated, so the destructor is real work
}
} // namespace

#define TP_ENTRY_HOOK tp_touch_tls
// The plain C plugin, compiled as C++ (its entry keeps C linkage from the ABI header).
#include "test_plugin.c"
