"""The pytest plugin, as a user meets it: test files run by a real pytest in a subprocess, with
nothing but the installed package (the plugin comes in through its ``pytest11`` entry point)."""

from __future__ import annotations

import re

import pytest

pytest_plugins = ("pytester",)

pytestmark = pytest.mark.slow


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", *args)


def test_a_users_three_line_test_runs_against_a_fresh_sandbox(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_x(audiencelab_client):
            created = audiencelab_client.audiences.create(name="NYC", filters={"city": "New York"})
            assert audiencelab_client.audiences.get(created.audience_id).total_records > 0
        """,
    )
    result.assert_outcomes(passed=1)


def test_each_test_gets_its_own_sandbox(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_alone(audiencelab_client, audiencelab_sandbox, n):
            assert list(audiencelab_client.audiences.list()) == []  # nothing from the others
            audiencelab_client.audiences.create(name=f"a{n}", filters={"city": "Austin"})
            print("URL", audiencelab_sandbox.base_url)
        """,
        "-s",
    )
    result.assert_outcomes(passed=3)
    assert len(set(re.findall(r"URL (\S+)", result.stdout.str()))) == 3  # three servers


def test_session_scope_shares_one_sandbox_with_a_key_per_test(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naudiencelab_sandbox_scope = session\n")
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_isolated(audiencelab_client, audiencelab_sandbox, n):
            assert list(audiencelab_client.audiences.list()) == []
            audiencelab_client.audiences.create(name=f"a{n}", filters={"city": "Austin"})
            print("URL", audiencelab_sandbox.base_url, "KEY", audiencelab_sandbox.api_key)

        @pytest.mark.audiencelab_sandbox(build_seconds=5)
        def test_a_marked_test_gets_its_own(audiencelab_sandbox):
            print("OWN", audiencelab_sandbox.base_url)
        """,
        "-s",
    )
    result.assert_outcomes(passed=4)
    shared = re.findall(r"URL (\S+) KEY (\S+)", result.stdout.str())
    assert len({url for url, _ in shared}) == 1  # one server
    assert len({key for _, key in shared}) == 3  # three keys
    (own,) = re.findall(r"OWN (\S+)", result.stdout.str())
    assert own != shared[0][0]


def test_the_marker_sets_faults_and_the_clock_moves_builds(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from audiencelab import AudienceNotReadyError, InternalServerError, APIError

        @pytest.mark.audiencelab_sandbox(build_seconds=600)
        def test_build_moves_with_the_clock(audiencelab_client, audiencelab_clock):
            created = audiencelab_client.audiences.create(name="n", filters={"city": "Austin"})
            with pytest.raises(AudienceNotReadyError):
                audiencelab_client.audiences.get(created.audience_id)
            audiencelab_clock.advance(601)  # no sleeping
            assert audiencelab_client.audiences.get(created.audience_id).total_records > 0

        @pytest.mark.audiencelab_sandbox(fail_rate=1.0, seed=3)
        def test_faults(audiencelab_sandbox):
            with audiencelab_sandbox.client(max_retries=0) as client:
                with pytest.raises(APIError):
                    client.audiences.list(page=1)
        """,
    )
    result.assert_outcomes(passed=2)


def test_the_async_client_works_under_anyio(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.anyio
        async def test_async(async_audiencelab_client):
            created = await async_audiencelab_client.audiences.create(
                name="n", filters={"city": "Austin"}
            )
            page = await async_audiencelab_client.audiences.get(created.audience_id)
            assert page.total_records > 0

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """,
        "-W",
        "error::ResourceWarning",
    )
    result.assert_outcomes(passed=1)


def test_a_misspelt_option_is_one_clear_failure(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.audiencelab_sandbox(fail_rat=0.2, port=1)
        def test_x(audiencelab_client):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.audiencelab_sandbox: 'fail_rat' is not a sandbox option; did you mean "
            "'fail_rate'?; 'port' is chosen by the plugin*"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_marker_is_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.audiencelab_sandbox(build_seconds=1)
        def test_x():
            pass
        """,
        "--strict-markers",
    )
    result.assert_outcomes(passed=1)


def test_a_suite_without_the_fixtures_pays_nothing(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import sys

        def test_nothing_loaded():
            assert "audiencelab.sandbox" not in sys.modules
            assert "uvicorn" not in sys.modules
            assert "audiencelab._async.client" not in sys.modules
        """,
    )
    result.assert_outcomes(passed=1)


def test_without_the_sandbox_extra_the_fixture_says_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    # The extra's packages hidden: an import hook refuses starlette, as if not installed.
    pytester.makeconftest(
        """
        import sys

        class NoStarlette:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("starlette", "uvicorn"):
                    raise ImportError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, NoStarlette())
        """
    )
    result = run(
        pytester,
        """
        def test_plain():
            assert True

        def test_x(audiencelab_client):
            pass
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    assert "pip install 'audiencelab[sandbox]'" in result.stdout.str()
    assert "During handling" not in result.stdout.str()
