-- A store as jobgrid left it at schema version 15 (tests/unit/test-store.c,
-- schema_upgrades): rows of every table that existed then, as that version wrote them.
INSERT INTO envs(id, text) VALUES(1, '{"HOME":"/home/alice","LANG":"C.UTF-8"}');
INSERT INTO jobs VALUES(1, 'alice', 'hello', 'reports', '', 'sh -c ''echo hello; echo world''', '/home/alice', '{"GREETING":"hi"}', 1, 0, 0, 0, 5, 0, 3, 0, 0, 1, 3, 1795413600000, 1795413600200, '{"limits":["db"]}', 1);
INSERT INTO jobs VALUES(2, 'alice', 'failing', '', '', 'sh -c ''echo oops >&2; exit 3''', '/tmp', NULL, 1, 0, 0, 0, 0, 1, 3, 0, 0, 1, 4, 1795413601000, 1795413601400, NULL, 1);
INSERT INTO jobs VALUES(3, 'bob', 'waiting', '', 'big', 'true', '/tmp', NULL, 2, 512, 0, 60000, 0, 0, 3, 0, 0, 2, 1, 1795413602000, 0, '{"constraints":{"node":"nowhere"}}', NULL);
INSERT INTO joblets VALUES(1, 0, 3, 0, 0, 0, NULL);
INSERT INTO joblets VALUES(2, 0, 4, 1, 0, 0, 'exit code 3');
INSERT INTO attempts VALUES(1, 1, 0, 1, 'melt', 'w2de22a63', 1, 0, 0, 1795413600050, 1795413600180, 1, 13, NULL, NULL, 1, 0, 0, 101, 12, 0, 'alice');
INSERT INTO attempts VALUES(2, 2, 0, 1, 'melt', 'w2de22a63', 2, 3, 1, 1795413601050, 1795413601110, 1, 10, NULL, NULL, 1, 0, 0, 58, 5, 0, NULL);
INSERT INTO attempts VALUES(3, 2, 0, 2, 'melt', 'w2de22a63', 2, 3, 1, 1795413601200, 1795413601290, 1, 10, 'retried once', NULL, 1, 0, 0, 85, 5, 0, NULL);
INSERT INTO output VALUES(1, 1, 0, 1795413600100, X'68656c6c6f0a');
INSERT INTO output VALUES(2, 1, 6, 1795413600150, X'776f726c640a');
INSERT INTO output VALUES(3, 2, 0, 1795413601100, X'6f6f70730a');
INSERT INTO output VALUES(4, 3, 0, 1795413601280, X'6f6f70730a');
INSERT INTO idem VALUES('alice', 'key-1', 1795413600000, 201, '{"ids":["alice.hello.1"],"seqs":[1],"duplicates":[]}
');
INSERT INTO idem VALUES('bob', 'key-2', 1795413602000, 201, '{"ids":["bob.waiting.3"],"seqs":[3],"duplicates":[]}
');
INSERT INTO limits VALUES('db', 2);
INSERT INTO definitions VALUES('gone', 1, 'defs/gone.yaml', 'name: gone
command: "true"
', 'alice', 1795413600000, 0, NULL);
INSERT INTO definitions VALUES('nightly', 1, 'defs/nightly.yaml', 'name: nightly
command: echo nightly
schedule: {start_times: ["23:00"]}
', 'alice', 1795413600000, 1, NULL);
INSERT INTO definitions VALUES('nightly', 2, 'defs/nightly.yaml', 'name: nightly
command: echo nightly v2
schedule: {start_times: ["23:00"]}
', 'bob', 1795413600500, 1, NULL);
INSERT INTO definitions VALUES('chunks', 1, 'defs/chunks.yaml', 'name: chunks
command: echo
script: chunks.lua
', 'alice', 1795413600600, 1, '{"chunks.lua":"function job_started(job) end\n"}');
INSERT INTO net_runs VALUES(1, 1795474800000, '{"id":1,"def":"nightly","period_start":1795392000000,"period_end":1795478400000,"planned_at":1795474800000,"started_at":0,"ended_at":0,"state":0,"origin":0,"deps_ok":false,"check":false,"job":0,"reason":"planned for its start time","over":{"mode":0,"repeat":0,"pred_force":0,"succ_force":0}}');
INSERT INTO net_paused VALUES('gone');
INSERT INTO users VALUES('alice', 'admin', '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 1795413600000);
INSERT INTO users VALUES('bob', 'user', '', 1795413601000);
INSERT INTO tokens VALUES(1, 'admin', 'admin', 'admin', X'0101010101010101010101010101010101010101010101010101010101010101', 1795413600000, 0, 0);
INSERT INTO tokens VALUES(2, 'ci', 'bob', 'user', X'0202020202020202020202020202020202020202020202020202020202020202', 1795413601000, 1795500000000, 1795413602000);
INSERT INTO tokens VALUES(3, 'melt', 'melt', 'worker', X'0303030303030303030303030303030303030303030303030303030303030303', 1795413602000, 0, 0);
UPDATE store_identity SET epoch = 424242424242424 WHERE id = 1;
INSERT INTO events VALUES(7, '{"event":"job.submitted","at":"2026-11-22T10:00:00.000Z","job":"alice.hello.1","seq":1,"owner":"alice"}');
INSERT INTO events VALUES(8, NULL);
INSERT INTO events VALUES(9, '{"event":"job.ended","at":"2026-11-22T10:00:00.200Z","job":"alice.hello.1","seq":1,"owner":"alice","state":"done"}');
