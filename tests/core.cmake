# Core learning library tests (head, replay memory, learners, state images).
foreach(t test_head test_replay test_learner test_learner_layers test_state)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${t}.c)
    ecl_add_test(${t} ${CMAKE_CURRENT_LIST_DIR}/${t}.c)
  endif()
endforeach()
