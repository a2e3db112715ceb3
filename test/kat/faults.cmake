# Kernel failures injected through KACCEL_FAULT (src/backend/afalg/fault.h),
# the device's session limit, the descriptor limit and fork.
kaccel_kat_test(faults test_faults.c)
set_tests_properties(kat.faults PROPERTIES TIMEOUT 600)
