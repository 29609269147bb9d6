# TRADEPUSH_SANITIZE=asan builds everything with ASan+UBSan, =tsan with TSan.
if(TRADEPUSH_SANITIZE STREQUAL "asan")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(TRADEPUSH_SANITIZE STREQUAL "tsan")
  # Asio uses std::atomic_thread_fence, which g++ warns TSan cannot model; the warning is not ours to fix.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
elseif(NOT TRADEPUSH_SANITIZE STREQUAL "")
  message(FATAL_ERROR "TRADEPUSH_SANITIZE must be '', asan or tsan (got '${TRADEPUSH_SANITIZE}')")
endif()
