// Package jsonschema validates JSON documents against the subset of JSON
// Schema (draft 2020-12) that the schemas in docs/ use: type (one or a
// list), properties, required, additionalProperties (boolean), items, enum,
// const, minimum, maximum, minLength, maxLength, pattern, format
// "date-time" (RFC 3339), $defs and local $ref ("#/$defs/name"). A schema
// using any other keyword is refused rather than half-checked.
package jsonschema
