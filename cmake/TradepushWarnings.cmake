# Warnings as errors on our own code only; third-party headers come in as SYSTEM includes.
function(tradepush_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Werror
    -Wno-unused-parameter
    # g++ 12 false positives inside Asio/Beast templates under -O2/-O3
    -Wno-maybe-uninitialized -Wno-array-bounds -Wno-stringop-overflow -Wno-restrict)
endfunction()
