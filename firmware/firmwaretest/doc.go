// Package firmwaretest holds fakes for testing code that uses package
// firmware: a crash-simulating in-memory file system (MemFS), a
// deterministic stand-in model (Model, Loader) and a bundle builder.
package firmwaretest
