# kurier_module(NAME DEPS dep...): a static library kurier_NAME from src/NAME/*.cpp.
# Each folder under src/ is one layer or protocol; its unit tests live in tests/unit/NAME/
# and become the test binary unit_NAME (see tests/unit/CMakeLists.txt).
set(KURIER_MODULES "" CACHE INTERNAL "")
function(kurier_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(srcs)
    add_library(kurier_${name} STATIC ${srcs})
    target_include_directories(kurier_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(kurier_${name} PUBLIC ${M_DEPS})
  else()  # a module still being written: headers only
    add_library(kurier_${name} INTERFACE)
    target_include_directories(kurier_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(kurier_${name} INTERFACE ${M_DEPS})
  endif()
  set(KURIER_MODULES ${KURIER_MODULES} ${name} CACHE INTERNAL "")
endfunction()
