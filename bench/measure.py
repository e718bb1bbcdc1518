"""Timing helpers shared by bench.py and page.py."""

import time


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, repeat=1):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


class QueryCounter:
    """Counts the SQL statements run, through a connection wrapper: unlike
    CaptureQueriesContext it is not reset by each request's start."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def client_for(username):
    from django.test import Client

    from atelier.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def query_count(username, url):
    """The SQL statements of one request to `url`, after a first one has
    warmed the caches."""
    from django.db import connection

    client = client_for(username)
    client.get(url)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count


def in_process(username, url, repeat=20):
    """p50/p95 in ms of `url` through Django's test client, and its query count."""
    queries = query_count(username, url)
    client = client_for(username)
    samples = timed(lambda: client.get(url), repeat)
    return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "queries": queries}
