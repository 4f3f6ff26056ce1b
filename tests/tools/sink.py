#!/usr/bin/env python3
# A mail or HTTP sink on 127.0.0.1 for the tests: sink.py smtp|http DIR PORT.
# Saves each message it gets to DIR (NNNN.eml: the envelope as X-Envelope-
# headers, then the message; NNNN.json: an HTTP request), whole or not at
# all, and touches DIR/.ready once listening. SMTP refuses recipients whose
# address starts with "reject"; HTTP answers 400 under /bad, 503 under
# /busy, else 200. Runs until killed.
import sys, os, json, threading, time, urllib.parse
mode, d, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(d, exist_ok=True)
lock = threading.Lock()
count = [0]
def save(ext, data):
    with lock:
        count[0] += 1
        n = count[0]
    tmp = os.path.join(d, '.%d.tmp' % n)
    with open(tmp, 'wb') as f:
        f.write(data)
    os.rename(tmp, os.path.join(d, '%04d.%s' % (n, ext)))
if mode == 'smtp':
    from aiosmtpd.controller import Controller
    class H:
        async def handle_RCPT(self, server, session, envelope, address,
                              rcpt_options):
            if address.startswith('reject'):
                return '550 5.1.1 no such mailbox'
            envelope.rcpt_tos.append(address)
            return '250 OK'
        async def handle_DATA(self, server, session, envelope):
            head = 'X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n' % (
                envelope.mail_from, ','.join(envelope.rcpt_tos))
            save('eml', head.encode() + envelope.original_content)
            return '250 Message accepted'
    c = Controller(H(), hostname='127.0.0.1', port=port)
    c.start()
else:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get('Content-Length', 0))
            body = self.rfile.read(n).decode('utf-8', 'replace')
            status = 200
            if '/bad' in self.path:
                status = 400
            elif '/busy' in self.path:
                status = 503
            rec = {'path': self.path, 'status': status,
                   'headers': dict(self.headers), 'body': body,
                   'form': {k: v[0] for k, v in
                            urllib.parse.parse_qs(body).items()}}
            save('json', json.dumps(rec).encode())
            self.send_response(status)
            self.send_header('Content-Length', '4')
            self.end_headers()
            self.wfile.write(b'nope' if status != 200 else b'okay')
        def log_message(self, *a):
            pass
    srv = ThreadingHTTPServer(('127.0.0.1', port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
open(os.path.join(d, '.ready'), 'w').close()
while True:
    time.sleep(3600)
