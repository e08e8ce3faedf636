"""chedweb_bridge: every DiagnosticArray to every browser over WebRTC."""
