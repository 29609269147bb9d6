# Use ccache when it is installed: rebuilds of the Boost-heavy sources are the slow part of CI.
find_program(TRADEPUSH_CCACHE ccache)
if(TRADEPUSH_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER ${TRADEPUSH_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${TRADEPUSH_CCACHE})
endif()
