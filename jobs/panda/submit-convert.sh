#!/bin/sh
# physlite convert on the grid through PanDA: `prun` splits the input dataset into jobs of
# FILES_PER_JOB files, stages each job's files to the worker node's disk (--forceStaged), and runs
# the physlite container image on them: %IN is the comma-separated list of the job's local files.
# Each job converts its files into parquet/ and packs them (with the job's ledger and manifest)
# into one declared output, parquet.tar, which PanDA renames uniquely per job and registers in
# OUTDS (the grid wants declared output files, not a directory).
#
#   IMAGE=docker://REGISTRY/physlite:0.1.0 \
#   INDS=mc20_13TeV:mc20_13TeV.PROCESS.deriv.DAOD_PHYSLITE.TAGS \
#   OUTDS=user.$RUCIO_ACCOUNT.physlite.DATASET.v1 \
#   sh jobs/panda/submit-convert.sh
#
# Follow with pbook or the BigPanDA monitor; get the results with
#   rucio download OUTDS_parquet.tar/ && for t in */*parquet.tar*; do tar -xf "$t"; done
# PanDA retries a failed job (up to --maxAttempt) whatever its exit code: physlite exits 2 for
# inputs that no retry can mend (listed in the job's log), 3 for transient failures.
set -eu
IMAGE=${IMAGE:?set IMAGE to the container image, e.g. docker://REGISTRY/physlite:0.1.0}
INDS=${INDS:?set INDS to the input dataset (scope:name)}
OUTDS=${OUTDS:?set OUTDS to the output dataset, user.ACCOUNT.NAME}
FILES_PER_JOB=${FILES_PER_JOB:-10}

# The payload, run in the container in the job's work directory. Its exit code is physlite's.
EXEC='physlite --log-format json convert $(echo %IN | tr "," " ") --out parquet --workers 1; rc=$?; tar -cf parquet.tar parquet; exit $rc'

prun \
  --containerImage "$IMAGE" \
  --inDS "$INDS" \
  --outDS "$OUTDS" \
  --forceStaged \
  --nFilesPerJob "$FILES_PER_JOB" \
  --maxAttempt 3 \
  --noBuild \
  --outputs parquet.tar \
  --exec "$EXEC"
