"""chedweb_bridge: every DiagnosticArray to every browser over WebRTC.

Modules, one job each (wire protocol: docs/protocol.md):
- cdr: DiagnosticArray CDR bytes -> protocol statuses (pure; rclpy deserialisation is the fallback)
- codec: protocol statuses -> JSON text, encoded once; level bytes -> int; 64 KiB splitting; snapshot
- history: bounded per-status numeric history for the snapshot (pure)
- signaling_messages, access, ice: pure parsing/validation of frames, token/Origin and
  `ice_servers` entries (the node parameters are chedweb_ros/params.py, shared by both nodes)
- loop_thread: the one asyncio loop thread; peers: every aiortc object, on that loop
- signaling, app: the /ws handler and the Flask app factory (page, /ws, /config, /healthz);
  lazy_web: builds that app on the first request; web_root: where the page's files are
- webrtc_bridge_node: the ROS 2 node; main: the light executable entry (chedweb_ros.node_main)
"""
