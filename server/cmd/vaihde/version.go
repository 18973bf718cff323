package main

// version is the server's version: "dev" from `go build`, the package's version when
// packaging/deb/build.sh stamps it (-ldflags "-X main.version=…"). `vaihde version` prints it.
var version = "dev"
