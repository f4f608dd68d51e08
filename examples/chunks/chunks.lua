-- The handlers of the chunks example (chunks.yaml names this file). Each runs in a
-- sandboxed process: job_started and the *_completed/_failed ones on the server,
-- joblet_started on the worker that took the joblet.

function job_started(job)
  local items = job:getFact("jobargs.items")
  local chunk = job:getFact("jobargs.chunk")
  local chunks = 0
  for first = 0, items - 1, chunk do
    job:schedule(1, {first = first, last = math.min(first + chunk, items) - 1})
    chunks = chunks + 1
  end
  job:setFact("chunks.total", chunks)
  print(string.format("%d items in %d chunks of up to %d", items, chunks, chunk))
end

function joblet_started(job, joblet)
  local first = joblet:getFact("jobletargs.first")
  local last = joblet:getFact("jobletargs.last")
  local command = job:getFact("jobargs.command")
  print(string.format("chunk %d: items %d..%d on %s, try %d", joblet:getFact("joblet.number"),
                      first, last, joblet:getFact("resource.id"),
                      joblet:getFact("joblet.retrynumber")))
  for item = first, last do
    local rc, why = joblet:run(command .. " " .. item)
    if rc ~= 0 then
      error(string.format("item %d: the command %s", item, why or ("exited " .. rc)))
    end
  end
end

function joblet_completed(job, joblet)
  job:setFact("chunks.done", (job:getFact("chunks.done") or 0) + 1)
end

function joblet_failed(job, joblet)
  print(string.format("chunk %d failed on %s (%s)", joblet:getFact("joblet.number"),
                      joblet:getFact("joblet.node"), joblet:getFact("joblet.failreason")))
end

function job_completed(job)
  print(string.format("%s: %d of %d chunks done", job:getFact("job.state"),
                      job:getFact("chunks.done") or 0, job:getFact("chunks.total")))
end
