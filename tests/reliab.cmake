# Reliability tests (owner: reliab): crash safety of state files, no allocation after init,
# flat memory over long streams, replay of fuzz regression inputs (see tests/fuzz.cmake).
# Parts that need another area's code are enabled once that code exists in the tree.
# ECL_HAVE_LEARNER / ECL_HAVE_INTERP / ECL_HAVE_MODEL come from tests/fuzz.cmake (included
# first): ON once the code defining those functions is in the tree.

# Like ecl_add_test, but without the tools' library: these tests need only the library and the
# port layer, and should not break when tools/ is mid-edit.
function(ecl_reliab_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE edgecl_port edgecl ${CMOCKA_LIB} m)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE ECL_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                             ECL_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 LABELS "reliab")
endfunction()

ecl_reliab_test(test_crash_safety ${CMAKE_SOURCE_DIR}/tests/test_crash_safety.c)
if(ECL_HAVE_LEARNER)
  target_compile_definitions(test_crash_safety PRIVATE ECL_HAVE_LEARNER=1)
endif()

# No allocation after init + flat RSS over long streams.
ecl_reliab_has(ECL_HAVE_LEARNER_CORE ecl_learner_observe ${ECL_RELIAB_LIB_SRC})
if(ECL_HAVE_LEARNER_CORE)
  ecl_reliab_test(test_nomalloc ${CMAKE_SOURCE_DIR}/tests/test_nomalloc.c)
  if(ECL_SANITIZE OR ECL_FUZZ)
    # The sanitizer runtime owns malloc: count calls from our objects with --wrap instead.
    target_compile_definitions(test_nomalloc PRIVATE RL_WRAP=1)
    target_link_options(test_nomalloc PRIVATE
      "LINKER:--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free"
      "LINKER:--wrap=aligned_alloc,--wrap=posix_memalign")
  endif()
  if(ECL_HAVE_INTERP AND ECL_HAVE_MODEL)
    target_compile_definitions(test_nomalloc PRIVATE ECL_HAVE_INTERP=1)
  endif()
endif()

# Load smoke test of the demo server (5 s per phase; the full 30 s run is manual, see
# docs/reliability.md). Label 'load': excluded from the sanitizer run.
find_program(ECL_WRK wrk)
find_program(ECL_CURL curl)
if(ECL_WRK AND ECL_CURL AND EXISTS ${CMAKE_SOURCE_DIR}/models/mobilenet_v2.tflite
   AND TARGET fuzz_make_seeds)
  add_test(NAME load_smoke COMMAND bash ${CMAKE_SOURCE_DIR}/tests/load/run_wrk.sh 5)
  set_tests_properties(load_smoke PROPERTIES LABELS "load;reliab" TIMEOUT 180
    ENVIRONMENT "EDGECL=${CMAKE_BINARY_DIR}/edgecl;EDGECL_MODEL=${CMAKE_SOURCE_DIR}/models/mobilenet_v2.tflite")
endif()

# Durability order of the atomic save (temp, write, fsync, close, rename, fsync dir) seen with
# strace, since a SIGKILL cannot show that an fsync happened. Skips (77) without strace.
add_test(NAME fsync_order
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/reliab/fsync_order.sh $<TARGET_FILE:edgecl_cli>
                 ${CMAKE_BINARY_DIR}/fsync_order)
set_tests_properties(fsync_order PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77 LABELS reliab)

# Issue 13: one writer at a time per state file. N concurrent `edgecl learn` runs on one state,
# 50 repetitions with --wait (all must be kept) and without (losers exit 3, nothing lost).
add_test(NAME concurrent_learn
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/reliab/concurrent_learn.sh $<TARGET_FILE:edgecl_cli>)
set_tests_properties(concurrent_learn PROPERTIES TIMEOUT 300 LABELS reliab COST 90)
ecl_reliab_test(test_state_lock ${CMAKE_SOURCE_DIR}/tests/reliab/test_state_lock.c)

# Issue 13: slow-client flood against the demo server (200 sockets, a byte per second, three
# floods of 6 s; loopback only). Needs the demo server's sources (ecl_test_serve, tests/demo.cmake).
if(TARGET ecl_test_serve)
  ecl_reliab_test(test_slowloris ${CMAKE_SOURCE_DIR}/tests/reliab/test_slowloris.c)
  target_include_directories(test_slowloris PRIVATE ${CMAKE_SOURCE_DIR}/tests/demo)
  target_link_libraries(test_slowloris PRIVATE ecl_test_serve Threads::Threads)
  set_tests_properties(test_slowloris PROPERTIES TIMEOUT 120)

  # The demo server's state: one server per state file, pending samples survive kill -9.
  ecl_reliab_test(test_serve_persist ${CMAKE_SOURCE_DIR}/tests/reliab/test_serve_persist.c)
  target_include_directories(test_serve_persist PRIVATE ${CMAKE_SOURCE_DIR}/tests/demo)
  target_link_libraries(test_serve_persist PRIVATE ecl_test_serve Threads::Threads JPEG::JPEG)
endif()

# Issue 13: learn never writes a state it cannot read back (magnitude limit, divergence).
add_test(NAME never_unreadable
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/reliab/never_unreadable.sh $<TARGET_FILE:edgecl_cli>)
set_tests_properties(never_unreadable PROPERTIES TIMEOUT 300 LABELS reliab)

# Issue 13: the real cause of I/O failures (disk full, read-only, permission, out of memory)
# and stale temp files of killed saves. Parts need root / the failmalloc shim (else SKIP).
add_test(NAME io_errors
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/reliab/io_errors.sh $<TARGET_FILE:edgecl_cli>)
set_tests_properties(io_errors PROPERTIES TIMEOUT 120 LABELS reliab SKIP_RETURN_CODE 77
  ENVIRONMENT "ECL_FAILMALLOC=${ECL_FAILMALLOC};ECL_MKMODEL=$<TARGET_FILE:backcli_mkmodel>")
