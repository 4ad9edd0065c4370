"""synack over many captures with Apache Spark, then README.md's questions in Spark SQL.

Each line of the captures list is one task: one capture, or the rotated files of one host and
period separated by spaces (read as one timeline with `synack report --merge`). Each task runs
synack on its executor and writes the Parquet tables into its own directory of --output, which
every executor must see under the same path (NFS, a FUSE mount of the object store). Then the
driver reads them all back and answers the questions.

Local mode (what tests/spark.rs runs):

    python3 examples/spark/synack_spark.py --master 'local[2]' \
        --synack target/release/synack --captures captures.txt --output /tmp/synack-parquet

On a cluster (the binary shipped to each executor's working directory):

    spark-submit --master yarn --files target/release/synack \
        examples/spark/synack_spark.py --synack ./synack \
        --captures captures.txt --output /shared/synack-parquet
"""

import argparse
import json
import os
import re
import subprocess
import sys

from pyspark.sql import SparkSession


def task_dir(index, line):
    """The directory of one task's tables: its position and its first file's name."""
    first = os.path.basename(line.split()[0])
    return "%03d-%s" % (index, re.sub(r"[^A-Za-z0-9._-]", "_", first))


def run_synack(synack, output, index, line):
    """On an executor: synack on one line's captures; (line, exit status, stderr)."""
    files = line.split()
    cmd = [synack, "report", "-q", "-j", "1", "--format", "parquet",
           "--output", os.path.join(output, task_dir(index, line))]
    if len(files) > 1:
        cmd.append("--merge")
    proc = subprocess.run(cmd + files, capture_output=True, text=True)
    return line, proc.returncode, proc.stderr.strip()


CONN_STATE = """
SELECT conn_state, count(*) AS connections
FROM connections
GROUP BY conn_state
ORDER BY connections DESC, conn_state
"""

SYN_HOSTS = """
SELECT resp_addr AS host, sum(syn_retransmits) AS syn_retransmissions,
       count_if(syn_retransmits > 0) AS connections
FROM connections
GROUP BY resp_addr
HAVING sum(syn_retransmits) > 0
ORDER BY syn_retransmissions DESC, host
LIMIT 10
"""

# The sweep of README.md: +1 when a side entered TIME-WAIT, -1 when it left it (or its 2×MSL
# ends); leaving first at one instant; the peak and the first time it was reached.
TIME_WAIT = """
WITH sides AS (
  SELECT capture, orig_addr AS host, orig_time_wait_from AS since,
         coalesce(orig_time_wait_left, orig_time_wait_until) AS until
  FROM connections WHERE orig_time_wait_from IS NOT NULL
  UNION ALL
  SELECT capture, resp_addr, resp_time_wait_from,
         coalesce(resp_time_wait_left, resp_time_wait_until)
  FROM connections WHERE resp_time_wait_from IS NOT NULL
), events AS (
  SELECT capture, host, since AS ts, 1 AS delta FROM sides
  UNION ALL
  SELECT capture, host, until, -1 FROM sides
), held AS (
  SELECT capture, host, ts,
         sum(delta) OVER (PARTITION BY capture, host ORDER BY ts, delta
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS held
  FROM events
), peaks AS (
  SELECT capture, host, ts, held, max(held) OVER (PARTITION BY capture, host) AS peak
  FROM held
)
SELECT capture, host, peak, unix_micros(min(CASE WHEN held = peak THEN ts END)) / 1e6 AS peak_ts
FROM peaks
GROUP BY capture, host, peak
ORDER BY peak DESC, capture, host
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--synack", required=True, help="the synack binary, as executors see it")
    ap.add_argument("--captures", required=True,
                    help="a file: one capture per line, or one host's rotated files separated by spaces")
    ap.add_argument("--output", required=True, help="a directory every executor and the driver see")
    ap.add_argument("--master", help="Spark master when run with python3 (spark-submit sets it)")
    ap.add_argument("--json", action="store_true", help="the answers as one JSON object on stdout")
    args = ap.parse_args()

    with open(args.captures) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    if not lines:
        sys.exit("no captures in %s" % args.captures)
    synack, output = args.synack, os.path.abspath(args.output)
    os.makedirs(output, exist_ok=True)

    builder = (SparkSession.builder.appName("synack")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC"))
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")

    # One task per line.
    results = (spark.sparkContext
               .parallelize(list(enumerate(lines)), numSlices=len(lines))
               .map(lambda il: run_synack(synack, output, il[0], il[1]))
               .collect())
    failed = False
    for line, status, err in results:
        if status == 2:
            # Damaged or unreadable: the tables say what was read, errors.parquet what was not.
            print("synack_spark: %s: %s" % (line, err.splitlines()[-1] if err else "exit 2"),
                  file=sys.stderr)
        elif status != 0:
            failed = True
            print("synack_spark: %s: synack exited %s: %s" % (line, status, err), file=sys.stderr)
    if failed:
        sys.exit(1)

    spark.read.parquet(os.path.join(output, "*", "connections.parquet")) \
        .createOrReplaceTempView("connections")
    answers = {
        "conn_state": [list(r) for r in spark.sql(CONN_STATE).collect()],
        "syn_hosts": [list(r) for r in spark.sql(SYN_HOSTS).collect()],
        "time_wait": [list(r) for r in spark.sql(TIME_WAIT).collect()],
    }
    if args.json:
        print(json.dumps(answers))
    else:
        for name, rows in answers.items():
            print(name)
            for r in rows:
                print("  " + "  ".join(str(v) for v in r))
    spark.stop()


if __name__ == "__main__":
    main()
