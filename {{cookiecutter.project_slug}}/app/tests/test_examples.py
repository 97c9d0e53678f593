"""Tests of the example route (examples.py): replace them with your own service's tests."""


def test_an_example_is_created_and_counted(client, metrics, settings):
    response = client.post("/api/examples", json={"name": "First example"})
    assert response.status_code == 201
    assert response.json() == {"name": "First example"}
    assert metrics.events == [
        (
            settings.business_metric,
            {"Service": "{{ cookiecutter.project_slug|replace('_', '-') }}", "Environment": "local"},
            {},
        )
    ]


def test_a_bad_example_names_the_field_and_is_not_counted(client, metrics):
    bad = ({"name": "ab"}, {}, {"name": "Fine", "colour": "red"}, {"name": "nul\x00name"},
           {"name": "tab\tname"})  # fmt: skip
    for body in bad:
        response = client.post("/api/examples", json=body)
        assert response.status_code == 422, body
    assert metrics.events == []


def test_the_start_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "examples.py" in response.text
