# The web UI, built from web/ and embedded in kurier (included by src/CMakeLists.txt).
# When a file under web/src, the build scripts or the lockfile changes, the build runs
# build_webui.cmake: `npm ci` if web/node_modules is missing or older than the lockfile, then
# `node build.mjs` (esbuild: web/dist) and `node embed.mjs` (web/dist -> a .cpp table with the
# gzip and ETag of each file). kurier_webui links that table; find_asset() reads it.
find_program(KURIER_NODE node)
find_program(KURIER_NPM npm)
if(NOT KURIER_NODE OR NOT KURIER_NPM)
  message(FATAL_ERROR "kurier's web UI needs Node.js (>= 18) and npm to build: install them "
                      "(scripts/install-deps.sh says how) and run cmake again.")
endif()

set(KURIER_WEB_DIR ${PROJECT_SOURCE_DIR}/web)
set(KURIER_WEBUI_CPP ${CMAKE_CURRENT_BINARY_DIR}/webui_assets_data.cpp)
file(GLOB_RECURSE KURIER_WEB_SOURCES CONFIGURE_DEPENDS ${KURIER_WEB_DIR}/src/*)
add_custom_command(
  OUTPUT ${KURIER_WEBUI_CPP}
  COMMAND ${CMAKE_COMMAND} -DWEB_DIR=${KURIER_WEB_DIR} -DNODE=${KURIER_NODE} -DNPM=${KURIER_NPM}
          -DOUT=${KURIER_WEBUI_CPP} -P ${CMAKE_CURRENT_LIST_DIR}/build_webui.cmake
  DEPENDS ${KURIER_WEB_SOURCES} ${KURIER_WEB_DIR}/package.json ${KURIER_WEB_DIR}/package-lock.json
          ${KURIER_WEB_DIR}/build.mjs ${KURIER_WEB_DIR}/embed.mjs ${KURIER_WEB_DIR}/tsconfig.json
          ${CMAKE_CURRENT_LIST_DIR}/build_webui.cmake
  COMMENT "Building the web UI (web/) and embedding it"
  VERBATIM)
target_sources(kurier_webui PRIVATE ${KURIER_WEBUI_CPP})
