import { describe, expect, it } from "vitest";
import { endpointUrls } from "../src/connection";

describe("endpointUrls", () => {
  it("derives /ws and /config from the page, passing the token on", () => {
    const u = endpointUrls(new URL("http://198.18.0.1:8080/?token=s3cr%20t&x=1"));
    expect(u.ws).toBe("ws://198.18.0.1:8080/ws?token=s3cr+t");
    expect(u.config).toBe("http://198.18.0.1:8080/config?token=s3cr+t");
    expect(u.token).toBe("s3cr t");
  });
  it("uses wss behind https and keeps a path prefix", () => {
    const u = endpointUrls(new URL("https://robot.example/chedweb/index.html"));
    expect(u.ws).toBe("wss://robot.example/chedweb/ws");
    expect(u.config).toBe("https://robot.example/chedweb/config");
    expect(u.token).toBeNull();
  });
});
