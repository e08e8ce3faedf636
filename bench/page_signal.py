"""In-page signalling of the Chromium peers of bench/fanout_peers.py and bench/wire.py: one copy.

SIGNAL_JS defines `signal(pc, compression, fail)` in the body of the function a bench evaluates in
its page (it is put at the top of that body): `pc` is signalled through the bridge's /ws as
web/src/connection.ts does, with the offer asking for `compression` (left out of the offer when
undefined), the answer applied, and the trickled candidates queued until the offer is sent;
`fail` gets the bridge's `error`. What each bench does with the channel is its own.
"""

from __future__ import annotations

SIGNAL_JS = r"""
  const signal = (pc, compression, fail) => {
    const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws");
    const queued = []; let offered = false;
    const send = (m) => { if (offered) ws.send(m); else queued.push(m); };
    pc.onicecandidate = (e) => send(JSON.stringify(e.candidate
      ? { type: "candidate", candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid,
          sdpMLineIndex: e.candidate.sdpMLineIndex }
      : { type: "candidate", candidate: null }));
    ws.onmessage = async (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "answer") await pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
      else if (m.type === "error") fail(new Error(m.message));
    };
    ws.onopen = async () => {
      await pc.setLocalDescription(await pc.createOffer());
      ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp, compression }));
      offered = true; for (const q of queued.splice(0)) ws.send(q);
    };
  };
"""
