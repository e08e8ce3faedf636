import { defineConfig } from "vitest/config";

// base './': the built page uses relative asset paths, so the bridge can serve web/dist from any
// path prefix (and a reverse proxy can mount it under one).
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Everything is bundled: nothing is fetched from the internet at run time.
    assetsInlineLimit: 0,
    sourcemap: false,
    // Two pages: the robot's page, and the fleet overview with its own entry (src/fleet/).
    rollupOptions: {
      input: { main: "index.html", fleet: "fleet.html" },
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
