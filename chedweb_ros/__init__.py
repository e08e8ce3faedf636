"""chedweb_ros: system metrics as ROS 2 diagnostics."""
