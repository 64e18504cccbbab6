"""The onboarding kit: the baseline found across client accounts, written as files a platform lead can
run — baseline.yaml (CloudFormation), plan.md/plan.json (per client: has, lacks, differs; how to roll it
out with StackSets and preview it) and options.md (multi-account CI/CD options checked against the
inventory). It reads a snapshot and writes files; it never deploys."""
