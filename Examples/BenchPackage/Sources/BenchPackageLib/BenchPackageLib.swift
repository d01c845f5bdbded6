/// Seeds for the test target's CPU work (the library exists so the test has something to import).
public func benchPackageLibSeed(_ round: Int) -> UInt64 {
    0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: round &+ 1)
}
