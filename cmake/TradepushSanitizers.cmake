# TRADEPUSH_SANITIZE=asan builds everything with ASan+UBSan, =tsan with TSan.
if(TRADEPUSH_SANITIZE STREQUAL "asan")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(TRADEPUSH_SANITIZE STREQUAL "tsan")
  # Asio uses std::atomic_thread_fence, which g++ warns TSan cannot model; the warning is not ours to fix.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
elseif(TRADEPUSH_SANITIZE STREQUAL "fuzz")
  # Coverage instrumentation for libFuzzer on everything; the fuzz targets add -fsanitize=fuzzer
  # (libFuzzer's main) when they link.
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TRADEPUSH_SANITIZE=fuzz needs clang (the fuzz preset sets it)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(NOT TRADEPUSH_SANITIZE STREQUAL "")
  message(FATAL_ERROR "TRADEPUSH_SANITIZE must be '', asan, tsan or fuzz (got '${TRADEPUSH_SANITIZE}')")
endif()
