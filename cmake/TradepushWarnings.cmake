# Warnings as errors on our own code only; third-party headers come in as SYSTEM includes.
# TRADEPUSH_WERROR=OFF (the clang-built fuzz preset) keeps the warnings and drops -Werror: the
# warning set is tuned for g++, which every other preset uses.
function(tradepush_warnings target)
  if(TRADEPUSH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic
    -Wno-unused-parameter
    # g++ 12 false positives inside Asio/Beast templates under -O2/-O3 (options clang does not know)
    "$<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized;-Wno-array-bounds;-Wno-stringop-overflow;-Wno-restrict>")
endfunction()
