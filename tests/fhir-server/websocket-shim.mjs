// @medplum/core reads `WebSocket.CLOSING` / `WebSocket.CLOSED` while the module is being
// evaluated. Node 20 only has a global WebSocket with `--experimental-websocket`; without the flag
// the import dies with "ReferenceError: WebSocket is not defined". This module must be imported
// BEFORE anything from @medplum/* (ES modules are evaluated in import order). When the flag is
// given (the recommended way), the real WebSocket is kept and this module does nothing.
// Nothing here opens sockets: the test server never uses Medplum's subscription client.
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = class WebSocketUnavailable {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    constructor() {
      throw new Error('WebSocket is not available; run node with --experimental-websocket');
    }
  };
}
