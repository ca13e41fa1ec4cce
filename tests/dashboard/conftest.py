from tests.graphql.conftest import gql  # noqa: F401 - the GraphQL client fixture
