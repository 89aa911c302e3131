import '@testing-library/jest-dom';

// The views render Backstage's material-table in jsdom, which takes seconds
// per page on a loaded 2-core CI machine: Jest's 5 s default failed views
// that had rendered correctly.
jest.setTimeout(20_000);
