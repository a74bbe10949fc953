"""traverse_registry_tree and count_registered_modules (RUTIL-01/02)."""

import json

from engine.registry import Registry, count_registered_modules, traverse_registry_tree
from engine.registry import utils as registry_utils


def test_traverse_registry_tree(capsys):
    root = Registry('model', scope='troot')

    @root.register_module()
    class A:
        pass

    child = Registry('model', parent=root, scope='tchild')
    grand = Registry('model', parent=child, scope='tgrand')
    child.register_module(module=A, name='B')
    folder = '/'.join(A.__module__.split('.')[:-1])
    result = traverse_registry_tree(grand)  # starts from the root
    assert result == [
        {'num_modules': 1, 'scope': 'troot', folder: ['A']},
        {'num_modules': 1, 'scope': 'tchild', folder: ['B']},
        {'num_modules': 0, 'scope': 'tgrand'},
    ]
    out = capsys.readouterr().out
    assert "Find 1 modules in troot's 'model' registry " in out
    assert out.index('troot') < out.index('tchild') < out.index('tgrand')
    traverse_registry_tree(root, verbose=False)
    assert capsys.readouterr().out == ''


def test_traverse_main_module_folder_is_empty():
    root = Registry('model', scope='tmain')
    cls = type('InMain', (), {'__module__': '__main__'})
    root.register_module(module=cls)
    assert traverse_registry_tree(root, verbose=False)[0] == {
        'num_modules': 1, 'scope': 'tmain', '': ['InMain']}


def test_count_registered_modules(tmp_path, capsys, monkeypatch):
    imported = []
    real_import = registry_utils.importlib.import_module

    def recording_import(name, *args):
        imported.append(name)
        return real_import(name, *args)

    monkeypatch.setattr(registry_utils.importlib, 'import_module', recording_import)
    result = count_registered_modules(save_path=str(tmp_path), verbose=True)
    # upper packages are imported by name at call time, missing ones tolerated
    assert set(imported) >= {'engine.optim', 'engine.runner', 'engine.model'}
    assert len(result['registries']) == 20
    assert result['registries']['MODELS'][0]['scope'] == 'engine'
    assert len(result['scan_date']) == len('2022-01-01 00:00:00')
    saved = tmp_path / 'modules_statistic_results.json'
    assert json.loads(saved.read_text()) == result
    assert [p.name for p in tmp_path.iterdir()] == ['modules_statistic_results.json']
    assert f'Result has been saved to {saved}' in capsys.readouterr().out
    assert count_registered_modules(verbose=False)['registries'].keys() == \
        result['registries'].keys()
