"""What a run hands to an assessor beyond the Allure results: run information, traceability,
the evidence manifest, the secret scan, the HTML report and run-to-run comparison."""
