#!/usr/bin/env python3
# Prints a saved mail (sink.py) as one JSON object: headers, the plain and
# HTML bodies; writes its PNG part, if any, to the second argument.
import sys, json, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(),
                             policy=email.policy.default)
o = {k: (str(m[k]) if m[k] is not None else None) for k in
     ('subject', 'from', 'to', 'message-id', 'date', 'bcc',
      'x-envelope-to', 'x-envelope-from', 'auto-submitted')}
o['to_addr'] = m['to'].addresses[0].addr_spec if m['to'] else None
o['to_name'] = m['to'].addresses[0].display_name if m['to'] else None
b = m.get_body(('plain',))
o['text'] = b.get_content() if b else None
b = m.get_body(('html',))
o['html'] = b.get_content() if b else None
for p in m.walk():
    t = p.get_content_type()
    if t == 'image/png':
        open(sys.argv[2], 'wb').write(p.get_payload(decode=True))
        o['png_cid'] = p['content-id']
        o['png_disposition'] = p.get_content_disposition()
    if t == 'image/jpeg':
        o['jpeg_len'] = len(p.get_payload(decode=True))
print(json.dumps(o))
