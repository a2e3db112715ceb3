# Digests and MACs (providers/digest.c, providers/mac.c).
kaccel_kat_test(digest test_digest.c)
kaccel_kat_test(mac test_mac.c)
