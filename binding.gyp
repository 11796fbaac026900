{
  "targets": [
    {
      "target_name": "strata_native",
      "sources": ["native/strata_native.c", "native/gunzip.c"],
      "libraries": ["-lisal"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
