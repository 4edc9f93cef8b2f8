//go:build race

package app_test

// raceDetector is true in a -race build.
const raceDetector = true
