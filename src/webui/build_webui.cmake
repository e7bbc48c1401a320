# cmake -P script run by webui.cmake: installs web/'s npm packages when needed, type-checks and
# builds web/dist, and writes the embedded asset table OUT. Variables: WEB_DIR, NODE, NPM, OUT.
set(ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} 1)  # tests drive Debian's /usr/bin/chromium
set(stamp ${WEB_DIR}/node_modules/.package-lock.json)
if(NOT EXISTS ${stamp} OR ${WEB_DIR}/package-lock.json IS_NEWER_THAN ${stamp})
  message(STATUS "webui: npm ci in ${WEB_DIR}")
  execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY ${WEB_DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "webui: npm ci failed (${rc})")
  endif()
endif()
# Type-check first (strict TypeScript; the German catalogue must have every English key).
execute_process(COMMAND ${NODE} node_modules/typescript/bin/tsc -p . WORKING_DIRECTORY ${WEB_DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "webui: TypeScript check of web/src failed (${rc})")
endif()
execute_process(COMMAND ${NODE} build.mjs WORKING_DIRECTORY ${WEB_DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "webui: node build.mjs failed (${rc})")
endif()
execute_process(COMMAND ${NODE} embed.mjs dist ${OUT}.tmp WORKING_DIRECTORY ${WEB_DIR} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "webui: node embed.mjs failed (${rc})")
endif()
file(RENAME ${OUT}.tmp ${OUT})
