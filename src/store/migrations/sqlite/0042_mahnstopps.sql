-- A debtor's Mahnstopp as a stored fact (issue 21), no longer read from the audit log: pruning
-- the log cannot lift a Mahnstopp or lose the cases it holds.

-- One row per debtor that was ever stopped: in force while `lifted_at` is empty. A new
-- Mahnstopp after a lift writes the row anew.
CREATE TABLE mahnstopps (
    tenant     TEXT NOT NULL,
    debtor_id  TEXT NOT NULL,
    stopped_at TEXT NOT NULL,
    lifted_at  TEXT,
    PRIMARY KEY (tenant, debtor_id)
);

-- The cases a Mahnstopp in force holds: those it paused, and those of the debtor the planner
-- found due while it was in force (a new invoice, a broken promise). Lifting resumes the held
-- ones and deletes the rows; `released_at` is set when an operator resumed the case on its own
-- page meanwhile (a lift then leaves it as the operator left it).
CREATE TABLE mahnstopp_holds (
    case_id     INTEGER PRIMARY KEY REFERENCES cases (id),
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    released_at TEXT
);
CREATE INDEX mahnstopp_holds_debtor ON mahnstopp_holds (tenant, debtor_id);

-- Back-filled from the audit log as the lift read it before: the debtor's newest `debtor.stop`,
-- lifted when a `debtor.lift_stop` came after it.
INSERT INTO mahnstopps (tenant, debtor_id, stopped_at, lifted_at)
SELECT s.tenant, s.debtor_id, s.at,
       (SELECT l.at FROM audit_log l
         WHERE l.tenant = s.tenant AND l.debtor_id = s.debtor_id AND l.action = 'debtor.lift_stop'
           AND l.id > s.id ORDER BY l.id DESC LIMIT 1)
  FROM audit_log s
 WHERE s.action = 'debtor.stop' AND s.debtor_id IS NOT NULL
   AND s.id = (SELECT MAX(n.id) FROM audit_log n
                WHERE n.tenant = s.tenant AND n.debtor_id = s.debtor_id AND n.action = 'debtor.stop');

-- The cases a Mahnstopp in force paused (its entry's `after.paused_cases`); one an operator
-- paused or resumed on its own since is released, as the lift judged it before.
INSERT INTO mahnstopp_holds (case_id, tenant, debtor_id, released_at)
SELECT c.id, s.tenant, s.debtor_id,
       (SELECT MAX(p.at) FROM audit_log p
         WHERE p.case_id = c.id AND p.action IN ('case.pause', 'case.resume') AND p.id > s.id)
  FROM audit_log s
  JOIN mahnstopps m ON m.tenant = s.tenant AND m.debtor_id = s.debtor_id AND m.lifted_at IS NULL
  JOIN json_each(s.after, '$.paused_cases') AS held
  JOIN cases c ON c.id = held.value
 WHERE s.action = 'debtor.stop' AND s.at = m.stopped_at
   AND s.id = (SELECT MAX(n.id) FROM audit_log n
                WHERE n.tenant = s.tenant AND n.debtor_id = s.debtor_id AND n.action = 'debtor.stop')
ON CONFLICT (case_id) DO NOTHING;
