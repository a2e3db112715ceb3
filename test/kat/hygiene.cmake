# Secrets absent from the debug log, close-on-exec descriptors (every backend).
kaccel_kat_test(hygiene test_hygiene.c)
set_tests_properties(kat.hygiene PROPERTIES TIMEOUT 900)
if(KACCEL_HAVE_DPDK)
  # Its DPDK cases use the software PMD crypto_aesni_mb0.
  set_property(TEST kat.hygiene APPEND PROPERTY ENVIRONMENT
               "KACTEST_DPDK_PMD_DIR=${KACCEL_DPDK_PMD_DIR}")
endif()
