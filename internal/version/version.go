package version

// Version is set at link time with
// -ldflags "-X github.com/sensortrust/trustagent/internal/version.Version=...".
// It is a variable only because the linker can set nothing else.
var Version = "dev"

// String returns the version for --version output.
func String() string { return Version }
