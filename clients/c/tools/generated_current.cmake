# ctest nanopb_generated_current: regenerates the nanopb code of each proto (with its options file
# in OPTIONS_DIR) into OUT and fails if it differs from the checked-in copy in CHECKED_IN (the
# regeneration command is in CMakeLists.txt).
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
foreach(proto flag_update flag_ack)
  execute_process(
    COMMAND ${PROTOC} --plugin=protoc-gen-nanopb=${PLUGIN} -I ${PROTO_DIR}
      --nanopb_opt=-f${OPTIONS_DIR}/${proto}.options --nanopb_out=${OUT} fleetflags/v1/${proto}.proto
    RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "protoc with protoc-gen-nanopb failed on ${proto}.proto: ${result}")
  endif()
  foreach(name ${proto}.pb.h ${proto}.pb.c)
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/fleetflags/v1/${name} ${CHECKED_IN}/fleetflags/v1/${name}
      RESULT_VARIABLE differs)
    if(differs)
      message(FATAL_ERROR "clients/c/generated/fleetflags/v1/${name} is not what nanopb generates from "
        "the proto now (see ${OUT}); regenerate it with the command in clients/c/CMakeLists.txt")
    endif()
  endforeach()
endforeach()
message(STATUS "generated code is current")
