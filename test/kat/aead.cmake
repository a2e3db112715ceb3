kaccel_kat_test(aead test_aead.c)
