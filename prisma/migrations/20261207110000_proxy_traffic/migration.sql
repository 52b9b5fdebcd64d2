-- Proxied calls are health observations (issue 15): the check log shows them grouped, at most
-- one "from traffic" row per connection per HEALTH_TRAFFIC_WINDOW_SECONDS.
ALTER TYPE "HealthCheckTrigger" ADD VALUE 'TRAFFIC';
