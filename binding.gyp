{
  "targets": [
    {
      "target_name": "strata_native",
      "sources": ["native/strata_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
