# Regenerates tests/data/sample.{log,expected} and fails if they differ from the files checked in.
# Usage: cmake -DGENERATOR=... -DDATA_DIR=... -DWORK_DIR=... -P check_sample.cmake
execute_process(
  COMMAND ${GENERATOR} --lines 60 --seed 1
          --out ${WORK_DIR}/sample.log --expected ${WORK_DIR}/sample.expected
  RESULT_VARIABLE status ERROR_QUIET)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "wgevents_corpus failed: ${status}")
endif()
foreach(file sample.log sample.expected)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK_DIR}/${file} ${DATA_DIR}/${file}
    RESULT_VARIABLE differs)
  if(NOT differs EQUAL 0)
    message(FATAL_ERROR "tests/data/${file} is not what wgevents_corpus --lines 60 --seed 1 writes; "
                        "regenerate it (docs/corpus.md)")
  endif()
endforeach()
